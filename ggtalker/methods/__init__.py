"""Methods registered in the harness (GGTalker and its ablations live in their own modules)."""
