resource "aws_instance" "web" {
  ami       = "ami-123"
  user_data = file("${path.module}/init.sh")
  tags = {
    Created = timestamp()
    Id      = uuid()
    Known   = "yes"
    Mixed   = "x-${uuid()}"
  }
  policy = templatefile("policy.json.tpl", { bucket = "b" })
  regex  = replace("a1b2", "/[0-9]/", "")
  merged = merge({ a = timestamp() }, { b = "known" })
}
