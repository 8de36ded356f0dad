"""Path -> language, and everything docbot knows about a language: grammar, definitions, imports.

Grammars come from the per-language wheels (``tree-sitter-python`` ...), which work offline; they are
loaded lazily and once per process. Each ``LanguageSpec`` says which syntax nodes are definitions (a
tree-sitter query whose capture names are the symbol kinds), which parent nodes belong to a definition
(decorators, ``export``, ``template<...>``), which siblings directly above it belong to it (comments,
Rust attributes) and which lines are imports. A language registered without a grammar is still
recognised: its files are cut into line-based chunks and documented at module level.

Built-ins register through ``register`` like any other language.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import PurePosixPath

import tree_sitter

from docbot.errors import ConfigError

# Capture names a definition query may use; each is a symbol kind. A ``function`` whose nearest
# enclosing symbol is not a function becomes a ``method``.
KINDS = frozenset(
    {"function", "method", "class", "interface", "struct", "enum", "trait", "impl", "module", "type", "macro"}
    # data: refined per language (a Python class attribute may become a field or an enum member)
    | {"property", "attribute", "field", "constant", "variable", "type_alias", "enum_member"}
)


@dataclass(frozen=True)
class LanguageSpec:
    """A language docbot can read.

    Attributes:
        name: the language's name (``python``, ``tsx`` ...).
        extensions: file endings, lower case, with the dot.
        module: the grammar wheel's module (``tree_sitter_python``), or ``None`` for line-based only.
        function: the module function returning the grammar pointer.
        definitions: tree-sitter query; each capture is a definition node, its name the symbol kind.
        wrappers: parent node types that are part of the definition they hold (decorators, export).
        leading: sibling node types directly above a definition that belong to it (doc comments).
        comments: which of ``leading`` are comments (their text becomes the doc comment).
        docstrings: the first string of a body is the docstring (Python).
        imports: regular expression matching the first line of an import at the file's top level.
        filenames: exact file names (``Rakefile``) recognised besides the endings.
        profile: whose rules of visibility, overloads and attributes apply (``symbols._PROFILES``);
            ``None``: the language's own name.
        fence: the language tag of the pages' code blocks (highlight.js, Pygments and Prism names);
            ``None``: the language's own name.
        repair: rewrites a source its grammar misparses into one it parses as the language does,
            byte for byte the same length (so every node's offsets still point into the original);
            ``parse`` uses it only when it leaves fewer syntax errors.
    """

    name: str
    extensions: tuple[str, ...]
    module: str | None
    function: str = "language"
    definitions: str = ""
    wrappers: frozenset[str] = frozenset()
    leading: frozenset[str] = frozenset({"comment"})
    comments: frozenset[str] = frozenset({"comment"})
    docstrings: bool = False
    imports: str = ""
    filenames: tuple[str, ...] = ()
    profile: str | None = None
    fence: str | None = None  # the code fence's language tag where it differs from ``name``
    repair: Callable[[bytes], bytes] | None = None

    @property
    def has_grammar(self) -> bool:
        return self.module is not None


_REGISTRY: dict[str, LanguageSpec] = {}
_BY_EXTENSION: dict[str, str] = {}
_BY_FILENAME: dict[str, str] = {}


def register(spec: LanguageSpec) -> None:
    """Add a language, or replace the one of the same name (built-ins register the same way).

    Raises:
        ConfigError: the definitions query uses a capture name that is not a symbol kind.
    """
    unknown = set(re.findall(r"@([\w.]+)", spec.definitions)) - KINDS
    if unknown:
        raise ConfigError(
            f"language {spec.name!r}: unknown capture(s) {', '.join(sorted(unknown))} in its definitions "
            f"query; use one of {', '.join(sorted(KINDS))}"
        )
    _REGISTRY[spec.name] = spec
    for ext in spec.extensions:
        _BY_EXTENSION[ext.lower()] = spec.name
    for filename in spec.filenames:
        _BY_FILENAME[filename] = spec.name


def language_for(path: str) -> str | None:
    """The registered language of ``path`` by its file name or ending, or ``None``."""
    pure = PurePosixPath(path)
    return _BY_FILENAME.get(pure.name) or _BY_EXTENSION.get(pure.suffix.lower())


# What only C++ writes, so a `.h` header holding it is C++ (the signs GitHub's linguist reads in a `.h`):
# a C++ standard header, a template, a class or namespace, an access label, `std::`.
_CPP_HEADER_SIGNS = re.compile(
    r"^[ \t]*#[ \t]*include[ \t]*<(?:cstdint|string|vector|map|list|array|bitset|queue|stack|"
    r"forward_list|unordered_map|unordered_set|memory|utility|(?:i|o|io)stream)>"
    r"|^[ \t]*template[ \t]*<"
    r"|^[ \t]*(?:class|(?:using[ \t]+)?namespace)[ \t]+\w+"
    r"|^[ \t]*(?:private|public|protected)[ \t]*:[ \t]*$"
    r"|\bstd::\w+",
    re.MULTILINE,
)


def language_of(path: str, text: str) -> str | None:
    """The language of ``path`` holding ``text``: its ending's, except that a ``.h`` header written in
    C++ (a class, a template, a namespace ...) is C++, not C, which would lose its classes and methods."""
    found = language_for(path)
    if found == "c" and PurePosixPath(path).suffix.lower() == ".h" and _CPP_HEADER_SIGNS.search(text):
        return "cpp"
    return found


def languages() -> list[str]:
    """Names of every registered language, sorted."""
    return sorted(_REGISTRY)


def spec(name: str) -> LanguageSpec:
    """The registered ``LanguageSpec`` called ``name``.

    Raises:
        ConfigError: no such language.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConfigError(f"unknown language {name!r}; known: {', '.join(languages())}") from None


@cache
def fence_tag(name: str) -> str:
    """The language tag of code blocks in ``name`` ("" for a language docbot does not know)."""
    known = _REGISTRY.get(name)
    return "" if known is None else known.fence or known.name


def grammar(name: str) -> tree_sitter.Language:
    """The tree-sitter ``Language`` for a registered language that has a grammar.

    Raises:
        ConfigError: the language is unknown, has no grammar, or its wheel is not installed.
    """
    found = spec(name)
    if found.module is None:
        raise ConfigError(f"language {name!r} has no tree-sitter grammar; it is chunked by lines")
    try:
        module = importlib.import_module(found.module)
    except ImportError as exc:
        raise ConfigError(
            f"language {name!r} needs the {found.module.replace('_', '-')} package; install it"
        ) from exc
    return tree_sitter.Language(getattr(module, found.function)())


@cache
def definitions_query(name: str) -> tree_sitter.Query:
    """The compiled definitions query of ``name`` (compiled once per process).

    Raises:
        ConfigError: the query does not compile against the grammar.
    """
    found = spec(name)
    try:
        return tree_sitter.Query(grammar(name), found.definitions)
    except tree_sitter.QueryError as exc:
        raise ConfigError(f"language {name!r}: its definitions query is invalid ({exc})") from exc


def parser(name: str) -> tree_sitter.Parser:
    """A new parser for ``name`` (parsers are cheap; grammars are cached)."""
    return tree_sitter.Parser(grammar(name))


def parse(name: str, data: bytes) -> tree_sitter.Tree:
    """The syntax tree of ``data``, through the language's ``repair`` where its grammar falls short.

    The repaired text has the original's length and line breaks, so the tree's offsets and lines are
    the original's and callers read names and signatures from ``data`` itself.
    """
    tree = parser(name).parse(data)
    repair = spec(name).repair
    if repair is None or not tree.root_node.has_error:
        return tree
    repaired = repair(data)
    if repaired == data:
        return tree
    second = parser(name).parse(repaired)
    return second if syntax_errors(second) < syntax_errors(tree) else tree


def syntax_errors(tree: tree_sitter.Tree) -> int:
    """How many error and missing nodes ``tree`` has (0 for a clean parse)."""
    count = 0
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node is not None and (node.is_error or node.is_missing):
            count += 1
        # Depth first, without recursion: a deeply nested file must not exhaust Python's stack.
        if node is not None and node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return count


# --- built-in languages ---

# A prototype (`int f(int);`) is captured so it can join its definition (or stand alone in a header).
_C_COMMON = """
(function_definition) @function
(declaration declarator: (function_declarator)) @function
(declaration declarator: (pointer_declarator declarator: (function_declarator))) @function
(declaration declarator: (pointer_declarator declarator: (pointer_declarator
  declarator: (function_declarator)))) @function
(struct_specifier name: (_) body: (_)) @struct
(union_specifier name: (_) body: (_)) @struct
(enum_specifier name: (_) body: (_)) @enum
(type_definition) @type_alias
(field_declaration_list (field_declaration) @field)
(enumerator_list (enumerator) @enum_member)
(preproc_def) @constant
"""

_JS_COMMON = """
(function_declaration) @function
(generator_function_declaration) @function
(class_declaration) @class
(method_definition) @function
(variable_declarator
  value: [(arrow_function) (function_expression) (generator_function)]) @function
(variable_declarator value: (class)) @class
(assignment_expression
  left: (member_expression)
  right: [(arrow_function) (function_expression) (generator_function)]) @function
(program (lexical_declaration (variable_declarator) @constant))
(program (variable_declaration (variable_declarator) @constant))
(export_statement (lexical_declaration (variable_declarator) @constant))
(export_statement (variable_declaration (variable_declarator) @constant))
"""

_TS_EXTRA = """
(abstract_class_declaration) @class
(interface_declaration) @interface
(type_alias_declaration) @type_alias
(enum_declaration) @enum
(public_field_definition) @attribute
(interface_body (property_signature) @attribute)
(enum_body (enum_assignment) @enum_member)
(enum_body (property_identifier) @enum_member)
(statement_block (lexical_declaration (variable_declarator) @constant))
(statement_block (export_statement (lexical_declaration (variable_declarator) @constant)))
(internal_module) @module
(module) @module
(public_field_definition value: [(arrow_function) (function_expression)]) @function
(method_signature) @function
(abstract_method_signature) @function
(function_signature) @function
"""

_JS_WRAPPERS = frozenset({"export_statement", "lexical_declaration", "variable_declaration"})
_JS_IMPORTS = r"^(import\b|export\s.*\bfrom\b|(const|let|var)\s.*=\s*require\()"

# A line that opens with a type parameter list: the next generic call or construct signature of an
# interface or type literal (`<T>(x: T): T`), the group being the indentation's last character.
_TS_LEADING_GENERIC = re.compile(rb"^[ \t]*([ \t])<[A-Za-z_$]", re.M)
# What a finished member type ends with: a name, `)`, `]`, `}`, a string or a closing `>` (not `=>`).
_TS_TYPE_END = re.compile(rb"(?:[\w$)\]}'\"`]|(?<!=)>)\Z")
# How far back the member before such a line is looked for: the repair stays linear in the file's size
# (a comment longer than this between two signatures just leaves that line as the grammar reads it).
_TS_LOOKBACK = 4096


def _before_comments(text: bytes) -> bytes:
    """``text`` without its trailing whitespace and comments (a simple scan: strings are not read)."""
    while True:
        text = text.rstrip()
        if text.endswith(b"*/") and b"/*" in text:
            text = text[: text.rfind(b"/*")]
            continue
        line_start = text.rfind(b"\n") + 1
        comment = text.find(b"//", line_start)
        if comment < 0:
            return text
        text = text[:comment]


def repair_ts_generic_signatures(data: bytes) -> bytes:
    """A `;` in place of the indentation before a member that starts with a type parameter list.

    TypeScript never reads a `<` after a line break as type arguments of the type before it, so
    ``): Curried`` followed by a line ``<Recipe>(recipe: Recipe): R`` are two call signatures.
    tree-sitter-typescript 0.23 reads ``Curried<Recipe>(...`` instead and loses the rest of the file
    to error recovery (immer's ``IProduce``). The `;` ends the member as the line break does.
    """
    out = bytearray(data)
    for match in _TS_LEADING_GENERIC.finditer(data):
        at = match.start(1)
        if _TS_TYPE_END.search(_before_comments(data[max(0, at - _TS_LOOKBACK) : at])):
            out[at] = ord(";")
    return bytes(out)


_TYPESCRIPT = LanguageSpec(
    "typescript",
    (".ts", ".mts", ".cts"),
    "tree_sitter_typescript",
    function="language_typescript",
    definitions=_JS_COMMON + _TS_EXTRA,
    wrappers=_JS_WRAPPERS | {"ambient_declaration"},
    # A decorator of a class member is the member's sibling in the class body.
    leading=frozenset({"comment", "decorator"}),
    imports=_JS_IMPORTS,
    profile="javascript",
    repair=repair_ts_generic_signatures,
)

_BUILTINS = (
    LanguageSpec(
        "python",
        (".py", ".pyi", ".pyw"),
        "tree_sitter_python",
        definitions="""
            (function_definition) @function
            (class_definition) @class
            (expression_statement (assignment left: [(identifier) (attribute)]) @attribute)
            (type_alias_statement) @type_alias
        """,
        wrappers=frozenset({"decorated_definition", "expression_statement"}),
        docstrings=True,
        imports=r"^(import|from)\s",
    ),
    LanguageSpec(
        "javascript",
        (".js", ".mjs", ".cjs", ".jsx"),
        "tree_sitter_javascript",
        definitions=_JS_COMMON
        + "(field_definition value: [(arrow_function) (function_expression)]) @function"
        + "(field_definition) @attribute",
        wrappers=_JS_WRAPPERS,
        imports=_JS_IMPORTS,
    ),
    _TYPESCRIPT,
    # TSX is TypeScript's grammar with JSX: same definitions, another entry point of the same wheel.
    replace(_TYPESCRIPT, name="tsx", extensions=(".tsx",), function="language_tsx"),
    LanguageSpec(
        "go",
        (".go",),
        "tree_sitter_go",
        definitions="""
            (function_declaration) @function
            (method_declaration) @method
            (type_spec) @type
            (type_alias) @type_alias
            (method_elem) @function
            (const_spec) @constant
            (var_spec) @variable
            (field_declaration_list (field_declaration name: (_)) @field)
            (field_declaration_list (field_declaration !name type: (_)) @field)
            (interface_type (type_elem . [(type_identifier) (qualified_type) (generic_type)] .) @field)
        """,
        wrappers=frozenset({"type_declaration", "const_declaration", "var_declaration"}),
        imports=r"^import\b",
    ),
    LanguageSpec(
        "java",
        (".java",),
        "tree_sitter_java",
        definitions="""
            (class_declaration) @class
            (record_declaration) @class
            (interface_declaration) @interface
            (annotation_type_declaration) @interface
            (enum_declaration) @enum
            (method_declaration) @function
            (constructor_declaration) @function
            (annotation_type_element_declaration) @function
            (class_body (field_declaration declarator: (variable_declarator) @field))
            (interface_body (constant_declaration declarator: (variable_declarator) @constant))
            (enum_body (enum_constant) @enum_member)
        """,
        wrappers=frozenset({"field_declaration", "constant_declaration"}),
        leading=frozenset({"line_comment", "block_comment"}),
        comments=frozenset({"line_comment", "block_comment"}),
        imports=r"^(import|package)\s",
    ),
    LanguageSpec(
        "rust",
        (".rs",),
        "tree_sitter_rust",
        definitions="""
            (function_item) @function
            (function_signature_item) @function
            (struct_item) @struct
            (union_item) @struct
            (enum_item) @enum
            (trait_item) @trait
            (impl_item) @impl
            (mod_item body: (_)) @module
            (type_item) @type_alias
            (macro_definition) @macro
            (const_item) @constant
            (static_item) @constant
            (field_declaration_list (field_declaration) @field)
            (enum_variant_list (enum_variant) @enum_member)
        """,
        leading=frozenset({"line_comment", "block_comment", "attribute_item"}),
        comments=frozenset({"line_comment", "block_comment"}),
        imports=r"^(pub\s+)?(use|extern\s+crate)\s",
    ),
    LanguageSpec(
        "c",
        (".c", ".h"),
        "tree_sitter_c",
        definitions=_C_COMMON,
        imports=r"^\s*#\s*include\b",
    ),
    LanguageSpec(
        "cpp",
        (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl"),
        "tree_sitter_cpp",
        definitions=_C_COMMON
        + """
            (class_specifier name: (_) body: (_)) @class
            (namespace_definition body: (_)) @module
            (field_declaration declarator: (function_declarator)) @function
            (field_declaration declarator: (pointer_declarator declarator: (function_declarator))) @function
            (field_declaration declarator: (reference_declarator (function_declarator))) @function
            (declaration declarator: (reference_declarator (function_declarator))) @function
        """,
        wrappers=frozenset({"template_declaration"}),
        imports=r"^\s*(#\s*include\b|import\s|using\s+namespace\s)",
    ),
    LanguageSpec(
        "ruby",
        (".rb", ".rake", ".gemspec"),
        "tree_sitter_ruby",
        definitions="""
            (method) @function
            (singleton_method) @function
            (class) @class
            (module) @module
            (assignment left: (constant)) @constant
            (body_statement (call method: (identifier) arguments: (argument_list (simple_symbol))) @attribute)
        """,
        imports=r"^(require|require_relative|load)\b",
        filenames=("Rakefile", "Gemfile"),
    ),
    # No grammar wheel is locked for these: their files are chunked by lines and documented at module
    # level, which beats skipping them.
    LanguageSpec("csharp", (".cs",), None, imports=r"^using\s"),
    LanguageSpec("kotlin", (".kt", ".kts"), None, imports=r"^(import|package)\s"),
    LanguageSpec("swift", (".swift",), None, imports=r"^import\s"),
    LanguageSpec("php", (".php",), None, imports=r"^(use|require|require_once|include)\b"),
    LanguageSpec("scala", (".scala",), None, imports=r"^(import|package)\s"),
    LanguageSpec("shell", (".sh", ".bash"), None, imports=r"^(source|\.)\s"),
)

for _spec in _BUILTINS:
    register(_spec)
