"""One declarative spec per published method (``SPEC = MethodSpec(...)``), run by
:class:`baselines.adapters.external.ExternalMethod`. Facts (commands, files, numbers) come from each project's
README at the commit named in the spec; see docs/real-data-and-adapters.md."""
