"""AWS checks (boto3 via the providers/aws/ package)."""
