"""The transparent proxy: client request -> stages -> upstream -> bytes back untouched."""
