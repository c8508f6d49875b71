"""SynthTalk: the built-in synthetic multi-view talking-head world (procedural heads, real speech)."""
