"""Metrics, one module per family; each registered by a YAML file in eval/conf/metric/."""
