"""tui-nn: watch and steer how a small neural network learns, in a terminal."""

__version__ = "0.1.0"
