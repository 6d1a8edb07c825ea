"""An independent recomputation of a generated office's figures, that every output must agree with."""
