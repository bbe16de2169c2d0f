"""Private compiled kernels of turboavro. Nothing here is public API."""
