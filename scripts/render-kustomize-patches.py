"""Renders a kustomization the way kustomize would, for the subset deploy/kubernetes uses, on machines whose
kubectl has no recent kustomize: `resources` (files and folders with their own kustomization.yaml) and `patches`
that are JSON 6902 patch files with a target. The patches are applied with the `jsonpatch` package, an RFC 6902
implementation; any other kustomization field is refused, so the two renderings cannot silently differ.

Usage: render-kustomize-patches.py DIR > rendered.yaml
"""
import pathlib
import sys

import jsonpatch
import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "patches"}


def fail(message):
    sys.exit(f"render-kustomize-patches: {message}")


def matches(document, target):
    api_version = document.get("apiVersion", "")
    group, _, version = api_version.rpartition("/")
    return (
        document.get("kind") == target.get("kind")
        and document.get("metadata", {}).get("name") == target.get("name")
        and target.get("group", group) == group
        and target.get("version", version) == version
    )


def render(folder):
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unsupported = set(kustomization) - SUPPORTED
    if unsupported:
        fail(f"{folder}: fields {sorted(unsupported)} need kustomize itself (kubectl kustomize)")
    documents = []
    for resource in kustomization.get("resources", []):
        path = folder / resource
        if path.is_dir():
            documents += render(path)
        else:
            documents += [document for document in yaml.safe_load_all(path.read_text()) if document]
    for patch in kustomization.get("patches", []):
        if set(patch) != {"path", "target"}:
            fail(f"{folder}: only patches with a path and a target are supported, not {patch}")
        operations = yaml.safe_load((folder / patch["path"]).read_text())
        if not isinstance(operations, list):
            fail(f"{folder / patch['path']}: not a JSON 6902 patch (a list of operations)")
        targets = [index for index, document in enumerate(documents) if matches(document, patch["target"])]
        if not targets:
            fail(f"{folder}: the target of {patch['path']} ({patch['target']}) is not among the resources")
        for index in targets:
            documents[index] = jsonpatch.apply_patch(documents[index], operations)
    return documents


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: render-kustomize-patches.py DIR")
    yaml.safe_dump_all(render(pathlib.Path(sys.argv[1])), sys.stdout, sort_keys=False)
