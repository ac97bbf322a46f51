"""Customer-lifetime analytics: the models and the scheduled fit."""
