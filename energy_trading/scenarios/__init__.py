"""Scenario files (YAML/JSON) run against a deployment: loader, runner and one section per feature."""
