from tests.parity.sparkfix import spark

__all__ = ["spark"]
