resource "aws_sns_topic" "t" {
  name         = "alertes-équipe"
  display_name = "Ärger → 警告 🚨"
  tags = {
    "Propriétaire" = "Zoë"
  }
}
