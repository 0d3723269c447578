locals {
  note = "from override"
}
