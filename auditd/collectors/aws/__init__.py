"""AWS collectors: the only place in driftaudit that talks to AWS through boto3.

* The live collector (``docs/aws.md``): :mod:`._base` (the declarative
  :class:`~auditd.collectors.aws._base.AWSType` and its registry), :mod:`._session`
  (profiles, assume-role chains, regions, adaptive-retry clients), :mod:`._faults`
  (a failure marks exactly one (account, region, type) incomplete),
  :mod:`.collector` (the thread-pool runner and the per-account snapshot),
  :mod:`.iam_policy` (the least-privilege policy from the types' ``iam`` lists), and
  one module per AWS service with one small class per Terraform type (:mod:`.vpc`,
  :mod:`.ec2`, :mod:`.s3_buckets`, :mod:`.iam`, ...): every such module is loaded by
  :func:`~auditd.collectors.aws._base.registered_types`.
* :mod:`.s3`: a small read-only S3 object reader used by the tfstate collector for
  Terraform's S3 backend.

boto3 itself is imported lazily (it costs about 0.3 s), so importing this package
stays cheap.
"""
