"""The canary plan: namespaces moved to the new revision in waves, riskiest last."""
