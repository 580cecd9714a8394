"""AWS checks (boto3 via providers/aws.py)."""
