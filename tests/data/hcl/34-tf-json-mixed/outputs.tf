resource "aws_ssm_parameter" "count" {
  name  = "topics"
  value = local.count_names
}
