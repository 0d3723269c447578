locals {
  base     = { a = "1", b = "2" }
  extra    = { b = "3", c = "4" }
  names    = ["Web", "API", "web"]
  vpc_cidr = "10.20.0.0/16"
}

resource "null_resource" "f" {
  triggers = {
    merge      = jsonencode(merge(local.base, local.extra))
    concat     = join("|", concat(["x"], local.names))
    lookup     = lookup(local.extra, "c", "none")
    lookup_def = lookup(local.extra, "z", "none")
    format     = format("%s-%03d-%.1f-%v-%q", "id", 7, 2.75, true, "q")
    lower      = lower("MiXeD")
    upper      = upper("mixed")
    length     = length(local.names)
    distinct   = join(",", distinct([for n in local.names : lower(n)]))
    toset      = join(",", tolist(toset(["b", "a", "b"])))
    tomap      = jsonencode(tomap({ k = "v" }))
    subnet_0   = cidrsubnet(local.vpc_cidr, 4, 0)
    subnet_3   = cidrsubnet(local.vpc_cidr, 8, 3)
    host       = cidrhost("10.20.1.0/24", 5)
    replace    = replace("a.b.c", ".", "/")
    split      = jsonencode(split(",", "x,y"))
    coalesce   = coalesce("", "fallback")
    element    = element(local.names, 4)
    keys       = join(",", keys(local.extra))
    zipmap     = jsonencode(zipmap(["k1", "k2"], [1, 2]))
    flatten    = length(flatten([[1, 2], [3], []]))
    try        = try(local.base.missing, "caught")
    contains   = contains(local.names, "API")
    trimspace  = trimspace("  padded  ")
    substr     = substr("terraform", 0, 5)
    min_max    = "${min(3, 1, 2)}..${max(3, 1, 2)}"
    range      = jsonencode(range(1, 7, 2))
    base64     = base64encode("hi")
    sha256     = sha256("x")
    title      = title("hello world")
  }
}
