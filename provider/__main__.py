"""Entry point of the tiktok-auth0 Pulumi plugin (PulumiPlugin.yaml): serves TikTokLogin.

Pulumi runs `python provider/ <engine address>` with the plugin's virtualenv, in which
requirements.txt installed the tiktok-auth0 package; this directory is not itself a package, so
the repository's own `__main__.py` (the stack program) is never run by mistake.
"""

from tiktok_auth0.plugin import serve

if __name__ == "__main__":
    serve()
