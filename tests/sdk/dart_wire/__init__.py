"""The Dart ``pocketbase`` SDK's HTTP, reproduced in Python (see tests/sdk/test_dart_wire.py)."""
