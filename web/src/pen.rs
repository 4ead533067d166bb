//! The drawing pad's keyboard pen: which key moves the pen, lifts or lowers it, runs or clears, and what to draw.

/// Where the keyboard's pen is on the pad, and whether it is down (drawing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pen {
    /// Horizontal position, in pad pixels.
    pub x: f64,
    /// Vertical position, in pad pixels.
    pub y: f64,
    /// Whether moving draws.
    pub down: bool,
}

impl Pen {
    /// The pen at the middle of a pad `size` pixels wide, lifted.
    pub fn centred(size: f64) -> Pen {
        Pen {
            x: size / 2.0,
            y: size / 2.0,
            down: false,
        }
    }
}

/// What a key asks of the pad.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stroke {
    /// Move the pen; with it down, draw a line from `from` to its new place.
    Move {
        /// Where the pen was, when a line is drawn.
        from: Option<(f64, f64)>,
    },
    /// The pen was lowered: draw a dot where it is.
    Dot,
    /// The pen was lifted.
    Lift,
    /// Run the model on the drawing.
    Run,
    /// Clear the pad (the pen stays where it is, lifted).
    Clear,
}

/// The keys the pad answers, for its label and help line.
pub const HELP: &str = "Keyboard: arrows move the pen (Home, End, Page Up and Page Down diagonally; with Shift, in small steps), Space lowers or lifts it, Enter runs, Escape clears.";

/// What `key` (a `KeyboardEvent.key`) does to `pen` on a pad `size` pixels wide: the pen
/// after it, and the stroke to make. `None` for keys the pad leaves to the page.
pub fn key(key: &str, shift: bool, pen: Pen, size: f64) -> Option<(Pen, Stroke)> {
    let step = size / if shift { 48.0 } else { 16.0 };
    let (dx, dy) = match key {
        "ArrowLeft" => (-1.0, 0.0),
        "ArrowRight" => (1.0, 0.0),
        "ArrowUp" => (0.0, -1.0),
        "ArrowDown" => (0.0, 1.0),
        "Home" => (-1.0, -1.0),
        "PageUp" => (1.0, -1.0),
        "End" => (-1.0, 1.0),
        "PageDown" => (1.0, 1.0),
        " " | "Spacebar" => {
            let down = !pen.down;
            let stroke = if down { Stroke::Dot } else { Stroke::Lift };
            return Some((Pen { down, ..pen }, stroke));
        }
        "Enter" => return Some((pen, Stroke::Run)),
        "Escape" | "Delete" | "Backspace" => {
            return Some((Pen { down: false, ..pen }, Stroke::Clear));
        }
        _ => return None,
    };
    let moved = Pen {
        x: (pen.x + dx * step).clamp(0.0, size),
        y: (pen.y + dy * step).clamp(0.0, size),
        ..pen
    };
    let from = pen.down.then_some((pen.x, pen.y));
    Some((moved, Stroke::Move { from }))
}
