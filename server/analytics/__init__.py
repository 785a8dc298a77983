"""Who gets what: programme rules as data, stacking, exclusion gaps and inclusion errors in Rupiah."""
