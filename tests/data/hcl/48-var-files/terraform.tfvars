min = 2
instance_type = "t3.small"
