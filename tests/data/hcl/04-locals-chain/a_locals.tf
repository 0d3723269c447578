# Locals refer to each other across files and out of order.
locals {
  full_name = "${local.prefix}-${local.suffix}"
  tags      = merge(local.base_tags, { Name = local.full_name })
}
