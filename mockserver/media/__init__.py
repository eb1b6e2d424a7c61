"""Result media: real MP4 files (PyAV) and the signed URLs that serve them."""
