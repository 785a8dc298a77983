"""The musyawarah kelurahan: the forum that settles a kelurahan's verification results (issue 19)."""
