//! Lattice client (in progress).
