//! The runtime's error type: tract's errors and panics, turned into one-line messages.

/// Everything that can go wrong loading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a model tract can load and optimise.
    #[error("cannot load the model: {0}")]
    Load(String),
    /// The inputs do not fit the model.
    #[error("input {index} (`{name}`): {reason}")]
    Input {
        /// Position of the input.
        index: usize,
        /// The model's name for it.
        name: String,
        /// What does not fit.
        reason: String,
    },
    /// Running failed.
    #[error("cannot run the model: {0}")]
    Run(String),
    /// The pre-scan found a model built to exhaust the machine, or one it cannot vouch for.
    #[error("refusing the model: {0}")]
    Refused(String),
    /// Tract panicked; the message is what it said.
    #[error("the model crashed the runtime while {during}: {message}")]
    Panicked {
        /// `loading` or `running`.
        during: &'static str,
        /// The panic's message.
        message: String,
    },
    /// A tensor whose data does not match its shape.
    #[error("tensor of shape {shape:?} needs {expected} values, got {got}")]
    Shape {
        /// The shape.
        shape: Vec<usize>,
        /// Values the shape needs.
        expected: usize,
        /// Values given.
        got: usize,
    },
    /// An image that cannot be decoded or preprocessed.
    #[error("invalid image: {0}")]
    Image(String),
    /// A `.npy` file that cannot be read.
    #[error("invalid .npy data: {0}")]
    Npy(String),
}
