"""`make bench`: our proxy against the Express sample's shape, in one run, as ratios."""
