"""AWS collectors: the only place in driftaudit that talks to AWS through boto3.

Today: :mod:`auditd.collectors.aws.s3`, a small read-only S3 reader used by the
tfstate collector for Terraform's S3 backend.  boto3 itself is imported lazily
(it costs about 0.3 s), so importing this package stays cheap.
"""
