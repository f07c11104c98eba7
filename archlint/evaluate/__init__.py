"""The static evaluator: Python values and Keras objects computed from source, never executed."""
