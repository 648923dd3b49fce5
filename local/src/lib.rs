//! Local VPC Lattice data plane.
