"""Every fixture's resources copied n times, for bench/fixture-scaling.

Each policy's fixtures hold the shapes it reads; copied n times (each copy's resources renamed,
and what refers to them with them), a fixture becomes a template of n times the work. Checking
it at two sizes shows any policy or stage whose cost grows faster than its input, on shapes no
one thought of writing.

    python3 bench/replicate.py FIXTURES OUT N [N...]

writes OUT/<policy>-<fixture>-<N>/ for each fixture and N:
- CloudFormation JSON (`*.json`), written on one line: the resources renamed in `Ref`,
  `Fn::GetAtt`, `Fn::Sub` and `DependsOn`;
- CloudFormation YAML (`*.yaml`): the `Resources` section copied as text, each logical ID
  renamed wherever it is a whole word;
- Terraform JSON (`*.tf.json`) and `.tf` directories: `resource` blocks copied with their names
  renamed, and every `TYPE.NAME` that names one; other blocks (variables, locals, providers,
  modules) once.
Plans, and fixtures that are not one of these, are left out.
"""

import json
import os
import re
import sys


def rename_cfn(node, ids, suffix):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "Ref" and isinstance(v, str) and v in ids:
                out[k] = v + suffix
            elif k == "Fn::GetAtt" and isinstance(v, list) and v and v[0] in ids:
                out[k] = [v[0] + suffix] + v[1:]
            elif k == "Fn::GetAtt" and isinstance(v, str) and v.split(".")[0] in ids:
                head, _, tail = v.partition(".")
                out[k] = head + suffix + ("." + tail if tail else "")
            elif k == "DependsOn":
                deps = [v] if isinstance(v, str) else v
                out[k] = [d + suffix if d in ids else d for d in deps]
            else:
                out[k] = rename_cfn(v, ids, suffix)
        return out
    if isinstance(node, list):
        return [rename_cfn(x, ids, suffix) for x in node]
    if isinstance(node, str):
        return re.sub(
            r"\$\{([A-Za-z0-9]+)((?:\.[A-Za-z0-9.]+)?)\}",
            lambda m: "${%s%s}" % (m.group(1) + suffix if m.group(1) in ids else m.group(1), m.group(2)),
            node,
        )
    return node


def rename_words(text, names, suffix):
    """`text` with each of `names` renamed where it is a whole word (or a `TYPE.NAME` pair)."""
    if not names:
        return text
    pattern = r"(?<![A-Za-z0-9_.-])(%s)(?![A-Za-z0-9_-])" % "|".join(
        re.escape(n) for n in sorted(names, key=len, reverse=True)
    )
    return re.sub(pattern, lambda m: m.group(1) + suffix, text)


def cfn_json(doc, n):
    resources = doc.get("Resources")
    if not isinstance(resources, dict):
        return None
    ids = set(resources)
    out = {k: v for k, v in doc.items() if k != "Resources"}
    out["Resources"] = {
        k + "x%d" % i: rename_cfn(v, ids, "x%d" % i) for i in range(n) for k, v in resources.items()
    }
    return json.dumps(out, separators=(",", ":"))


def tf_json(doc, n):
    resources = doc.get("resource")
    if not isinstance(resources, dict):
        return None
    pairs = ["%s.%s" % (t, k) for t, v in resources.items() if isinstance(v, dict) for k in v]
    out = {k: v for k, v in doc.items() if k != "resource"}
    copies = {}
    for i in range(n):
        suffix = "x%d" % i
        renamed = json.loads(rename_words(json.dumps(resources), pairs, suffix))
        for t, blocks in renamed.items():
            if isinstance(blocks, dict):
                for k, body in blocks.items():
                    copies.setdefault(t, {})[k + suffix] = body
    out["resource"] = copies
    return json.dumps(out)


def cfn_yaml(text, n):
    lines = text.split("\n")
    try:
        start = next(i for i, l in enumerate(lines) if l.rstrip() == "Resources:")
    except StopIteration:
        return None
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace() and not lines[i].startswith("#")),
        len(lines),
    )
    body = "\n".join(lines[start + 1 : end])
    ids = set(re.findall(r"^  ([A-Za-z0-9]+):", body, re.M))
    copies = [rename_words(body, ids, "x%d" % i) for i in range(n)]
    return "\n".join(lines[: start + 1] + copies + lines[end:])


def tf_blocks(text):
    """Top-level blocks of a `.tf` file: (kind, text), by brace depth (strings and comments
    holding braces are rare in fixtures; a file that does not split cleanly is skipped)."""
    blocks, depth, current = [], 0, []
    for line in text.split("\n"):
        current.append(line)
        depth += line.count("{") - line.count("}")
        if depth == 0 and "".join(current).strip():
            chunk = "\n".join(current).strip("\n")
            blocks.append((chunk.split()[0], chunk))
            current = []
    return blocks if depth == 0 else None


def tf_dir(files, n):
    out = {}
    for name, text in files.items():
        blocks = tf_blocks(text)
        if blocks is None:
            return None
        resources = [b for kind, b in blocks if kind == "resource"]
        pairs = []
        for b in resources:
            m = re.match(r'resource\s+"([^"]+)"\s+"([^"]+)"', b)
            if m:
                pairs.append("%s.%s" % m.groups())
        copies = []
        for i in range(n):
            suffix = "x%d" % i
            for b in resources:
                b = re.sub(r'^(resource\s+"[^"]+"\s+")([^"]+)"', lambda m: m.group(1) + m.group(2) + suffix + '"', b)
                copies.append(rename_words(b, pairs, suffix))
        others = [b for kind, b in blocks if kind != "resource"]
        out[name] = "\n".join(others + copies) + "\n"
    return out


def load_json(path):
    """The fixture's JSON, or None for a fixture that is not JSON on purpose (a parse error's)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError):
        return None


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        with open(os.path.join(directory, name), "w") as f:
            f.write(text)


def main(fixtures, out, sizes):
    for policy in sorted(os.listdir(fixtures)):
        base = os.path.join(fixtures, policy)
        if not os.path.isdir(base):
            continue
        for entry in sorted(os.listdir(base)):
            path = os.path.join(base, entry)
            for n in sizes:
                target = os.path.join(out, "%s-%s-%d" % (policy, entry.replace(".", "_"), n))
                files = None
                if os.path.isfile(path) and entry.endswith(".tf.json"):
                    doc = load_json(path)
                    text = isinstance(doc, dict) and tf_json(doc, n)
                    files = text and {"main.tf.json": text}
                elif os.path.isfile(path) and entry.endswith(".json") and not entry.endswith(".tfplan.json"):
                    doc = load_json(path)
                    text = isinstance(doc, dict) and cfn_json(doc, n)
                    files = text and {"template.json": text}
                elif os.path.isfile(path) and entry.endswith(".yaml"):
                    with open(path, encoding="utf-8", errors="replace") as f:
                        text = cfn_yaml(f.read(), n)
                    files = text and {"template.yaml": text}
                if files:
                    write(target, files)
            if os.path.isdir(path):
                for sub in sorted(os.listdir(path)):
                    tf = os.path.join(path, sub)
                    if not os.path.isdir(tf):
                        continue
                    names = [f for f in os.listdir(tf) if f.endswith(".tf")]
                    if not names or any(os.path.isdir(os.path.join(tf, f)) for f in os.listdir(tf)):
                        continue
                    for n in sizes:
                        texts = {}
                        for f in names:
                            with open(os.path.join(tf, f), encoding="utf-8", errors="replace") as t:
                                texts[f] = t.read()
                        files = tf_dir(texts, n)
                        if files:
                            write(os.path.join(out, "%s-%s-%s-%d" % (policy, entry, sub, n)), files)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(x) for x in sys.argv[3:]])
