# An ECS estate whose services name their task definition by family only, meaning
# "the latest ACTIVE revision": the state holds the revision the apply resolved.

resource "aws_ecs_task_definition" "web" {
  family = "web"
  container_definitions = jsonencode([
    { name = "web", image = "nginx:1.27", memory = 128 }
  ])
}

# A literal family: the state holds web:7.
resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = "apps"
  task_definition = "web"
  desired_count   = 2
}

# The family by reference: an unknown value, never compared.
resource "aws_ecs_service" "worker" {
  name            = "worker"
  cluster         = "apps"
  task_definition = aws_ecs_task_definition.web.family
  desired_count   = 1
}

# A literal family while the state holds another family's revision (by ARN): drift.
resource "aws_ecs_service" "batch" {
  name            = "batch"
  cluster         = "apps"
  task_definition = "batch"
  desired_count   = 1
}

# An exact revision the state does not hold: drift.
resource "aws_ecs_service" "admin" {
  name            = "admin"
  cluster         = "apps"
  task_definition = "web:6"
  desired_count   = 1
}
