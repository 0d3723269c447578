"""Terraform collectors: declared configuration (HCL), applied state (tfstate), git provenance."""
