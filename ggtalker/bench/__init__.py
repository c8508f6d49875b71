"""The evaluation harness: methods, suites, metrics, records and leaderboards."""
