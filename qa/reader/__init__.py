"""The extractive reader: reads the top passages and returns answer spans with scores, or says
the passages do not answer."""
