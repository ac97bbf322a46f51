"""The customer journey's domain: the aggregate, its events, the vocabulary and the rules."""
