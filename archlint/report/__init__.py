"""Report formats: each turns a list of FileReports into text."""
