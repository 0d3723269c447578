# not loaded: Terraform reads other *.tfvars files only with -var-file
f = "prod.tfvars"
