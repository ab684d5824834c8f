"""The playbook's pure rules: the condition language, the document format, its vocabulary.

A package (not a namespace) so that import-linter's purity contract covers every module in it.
"""
