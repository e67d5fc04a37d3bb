"""The command line sphinx-gallery gives each example it runs (their quick mode)."""
import os
import tempfile


class ExampleArgv:
    def __call__(self, gallery_conf, script_vars):
        name = os.path.basename(script_vars["src_file"])
        if name == "resumable_loop.py":
            return ["--quick", "--checkpoint", os.path.join(tempfile.mkdtemp(), "loop.pkl")]
        return ["--quick"]

    def __repr__(self):   # a stable value for Sphinx's configuration cache
        return "ExampleArgv()"
example_argv = ExampleArgv()
