"""Small sources, one per language, with one symbol of each kind the language has (for page tests)."""

from __future__ import annotations

SOURCES: dict[str, tuple[str, str]] = {
    "python": (
        "m.py",
        '''from enum import Enum
from typing import Final, TypeAlias, overload

MAX: Final = 3
"""Most retries."""
Alias: TypeAlias = int | str


def top(a: int, b: str = "x") -> bool:
    """Check a against b.

    Args:
        a: The number.

    Returns:
        Whether they match.

    .. versionadded:: 1.2
    """
    return True


class Color(Enum):
    RED = 1


class Box:
    """A box."""

    size: int = 0

    def __init__(self, v):
        self.v: int = v

    @property
    def value(self) -> int:
        """The value."""
        return self.v

    @overload
    def get(self, k: int) -> int: ...
    @overload
    def get(self, k: str) -> str: ...
    def get(self, k):
        """Get k."""
        return k
''',
    ),
    "typescript": (
        "m.ts",
        """/** Most retries. */
export const MAX = 3;
export type Id = string | number;
/** A shape. */
export interface Shape { /** Its area. */ area: number; name(): string; }
export enum Color { Red, Green = 2 }
export function pick(x: number): number;
export function pick(x: string): string;
/** Pick one. @param x what to pick */
export function pick(x: any): any { return x; }
export class Box {
  /** Size. */
  size = 0;
  get value(): number { return 1; }
  /** Open it. */
  open(force: boolean = false): void {}
}
""",
    ),
    "javascript": (
        "m.js",
        """/** Most retries. */
export const MAX = 3;
/**
 * Add two numbers.
 * @param {number} a first
 * @param {number} [b=1] second
 * @returns {number} the sum
 */
export function add(a, b = 1) { return a + b; }
export class Box {
  size = 0;
  get value() { return 1; }
  open(force) {}
}
""",
    ),
    "go": (
        "m.go",
        """// Package m holds boxes.
package m

// Max is the most retries.
const Max = 3

// ID names a box.
type ID string

// Box holds a value.
type Box struct {
	// Size of the box.
	Size int
}

// Open opens the box.
//
// Deprecated: use OpenAll.
func (b *Box) Open(force bool) error { return nil }

// Add adds a and b.
func Add(a, b int) int { return a + b }
""",
    ),
    "java": (
        "Box.java",
        """/** A box. */
public class Box {
    /** Most retries. */
    public static final int MAX = 3;
    /** Its size. */
    public int size;
    /**
     * Opens the box.
     * @param force whether to force
     * @return true when opened
     * @throws IllegalStateException when closed
     */
    @Deprecated
    public boolean open(boolean force) { return true; }
    public enum Color { RED, GREEN }
}
""",
    ),
    "rust": (
        "m.rs",
        """/// Most retries.
pub const MAX: u32 = 3;
/// An id.
pub type Id = u64;
/// A box.
#[derive(Debug)]
pub struct Boxed {
    /// Its size.
    pub size: u32,
}
impl Boxed {
    /// Opens it.
    ///
    /// # Panics
    ///
    /// When closed.
    pub fn open(&self, force: bool) -> bool { force }
}
pub enum Color { Red, Green }
pub trait Shape { fn area(&self) -> f64; }
/// Twice `x`.
pub fn twice(x: u32) -> u32 { 2 * x }
""",
    ),
    "c": (
        "m.c",
        """/** Most retries. */
#define MAX 3
/** An id. */
typedef unsigned long id_t;
/**
 * Adds.
 * @param a first
 * @return the sum
 */
int add(int a, int b);
int add(int a, int b) { return a + b; }
struct box { int size; };
enum color { RED, GREEN };
""",
    ),
    "cpp": (
        "m.cpp",
        """/// A box.
class Box {
public:
    /// Its size.
    int size = 0;
    /// Opens it.
    /// \\param force whether to force
    bool open(bool force = false);
};
bool Box::open(bool force) { return force; }
namespace util { int twice(int x) { return 2 * x; } }
""",
    ),
    "ruby": (
        "m.rb",
        """# A box.
class Box
  # Most retries.
  MAX = 3
  attr_reader :size
  # Opens it.
  # @param force [Boolean] whether to force
  # @return [Boolean] opened
  def open(force = false)
    force
  end
  def self.make
    new
  end
end
""",
    ),
}
