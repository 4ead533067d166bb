//! "Try it": draw, upload or type an input, run the model in a Web Worker, show the top classes and the latency.

use super::{absolute, fetch_text};
use crate::bridge;
use crate::pen::{self, Pen, Stroke};
use crate::present::{Ranked, concrete_shape, labels as read_labels, millis, numbers, top_k};
use infer::{Input, ModelRef, Outcome, Request};
use manifest::{Asset, IoSpec};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement};
use yew::prelude::*;

/// "Try it"'s inputs.
#[derive(Properties, PartialEq)]
pub struct Props {
    /// The ONNX asset.
    pub model: Asset,
    /// The labels asset, when the card has one.
    pub labels: Option<Asset>,
    /// The card's first input.
    pub input: IoSpec,
    /// The name of the output to rank, when the card names one of kind `classes`.
    #[prop_or_default]
    pub output: Option<String>,
}

#[derive(Clone, PartialEq)]
enum Run {
    Idle,
    Running,
    Done {
        ranked: Vec<Ranked>,
        outcome: Box<Outcome>,
    },
    Failed(String),
}

const PAD: u32 = 224;

#[component]
pub fn TryIt(props: &Props) -> Html {
    let run = use_state(|| Run::Idle);
    let text = use_state(String::new);
    let canvas = use_node_ref();
    let drawing = use_mut_ref(|| Cell::new(false));
    let keyboard_pen = use_state(|| Pen::centred(f64::from(PAD)));
    let image = props.input.image.clone();
    let pad = image.as_ref().is_some_and(|i| i.channels == "gray");

    // The drawing pad starts black: the digits are light on dark, as in the training data.
    {
        let canvas = canvas.clone();
        use_effect_with(pad, move |pad| {
            if *pad {
                clear(&canvas);
            }
        });
    }

    let start_run = {
        let run = run.clone();
        let model = props.model.clone();
        let labels = props.labels.clone();
        let output = props.output.clone();
        Rc::new(move |input: Input, bytes: Option<Vec<u8>>| {
            let Some(link) = model.asset_link.clone() else {
                run.set(Run::Failed("the card's onnx asset has no link".to_owned()));
                return;
            };
            run.set(Run::Running);
            let request = Request {
                id: 0,
                model: ModelRef {
                    url: absolute(&link),
                    sha256: model.asset_sha256.clone().unwrap_or_default(),
                    size: model.asset_size,
                },
                input,
                runs: 1,
                tuning: None,
                tune_ms: 0.0,
            };
            let (run, labels, output) = (run.clone(), labels.clone(), output.clone());
            bridge::run(
                request,
                bytes,
                Callback::from(move |answer: bridge::Answer| {
                    let (run, labels, output) = (run.clone(), labels.clone(), output.clone());
                    wasm_bindgen_futures::spawn_local(async move {
                        run.set(match answer {
                            Ok(outcome) => rank(outcome, labels, output.as_deref()).await,
                            Err(message) => Run::Failed(message),
                        });
                    });
                }),
            );
        })
    };

    let run_drawing = {
        let (canvas, start_run, image) = (canvas.clone(), Rc::clone(&start_run), image.clone());
        Rc::new(move || {
            let (Some(spec), Some(bytes)) = (image.clone(), png_of(&canvas)) else {
                return;
            };
            start_run(Input::Image { image: spec }, Some(bytes));
        })
    };
    let on_draw_run = {
        let run_drawing = Rc::clone(&run_drawing);
        Callback::from(move |_: MouseEvent| run_drawing())
    };
    let on_key = {
        let (canvas, keyboard_pen, run_drawing) = (
            canvas.clone(),
            keyboard_pen.clone(),
            Rc::clone(&run_drawing),
        );
        Callback::from(move |e: KeyboardEvent| {
            let Some((next, stroke)) =
                pen::key(&e.key(), e.shift_key(), *keyboard_pen, f64::from(PAD))
            else {
                return;
            };
            e.prevent_default();
            match stroke {
                Stroke::Move { from: Some(from) } => line(&canvas, from, (next.x, next.y)),
                Stroke::Dot => dot(&canvas, (next.x, next.y)),
                Stroke::Run => run_drawing(),
                Stroke::Clear => clear(&canvas),
                Stroke::Move { from: None } | Stroke::Lift => {}
            }
            keyboard_pen.set(next);
        })
    };
    let on_clear = {
        let canvas = canvas.clone();
        Callback::from(move |_: MouseEvent| clear(&canvas))
    };
    let on_file = {
        let (start_run, image, run) = (Rc::clone(&start_run), image.clone(), run.clone());
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<HtmlInputElement>() else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let (start_run, image, run) = (Rc::clone(&start_run), image.clone(), run.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        if let Some(spec) = image {
                            start_run(Input::Image { image: spec }, Some(bytes));
                        }
                    }
                    Err(_) => run.set(Run::Failed(format!("cannot read `{}`", file.name()))),
                }
            });
        })
    };
    let shape = concrete_shape(&props.input.shape);
    let count: usize = shape.iter().product();
    let on_numbers_run = {
        let (start_run, text, run, shape) = (
            Rc::clone(&start_run),
            text.clone(),
            run.clone(),
            shape.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match numbers(&text, count) {
                Ok(values) => start_run(
                    Input::Numbers {
                        shape: shape.clone(),
                        values,
                    },
                    None,
                ),
                Err(message) => run.set(Run::Failed(message)),
            }
        })
    };
    let on_text = {
        let text = text.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                text.set(input.value());
            }
        })
    };
    let pointer = |phase: Phase| {
        let (canvas, drawing) = (canvas.clone(), drawing.clone());
        Callback::from(move |e: PointerEvent| stroke(&canvas, &drawing.borrow(), phase, &e))
    };

    let input_ui = if let Some(spec) = &image {
        html! {
            <div class="inputs">
                if pad {
                    <div class="pad">
                        <div class="pad-area">
                            <canvas ref={canvas.clone()} width={PAD.to_string()} height={PAD.to_string()} class="draw"
                                tabindex="0" aria-describedby="pad-help"
                                aria-label="drawing pad: draw a digit with the mouse, a finger or the keyboard"
                                onpointerdown={pointer(Phase::Down)} onpointermove={pointer(Phase::Move)}
                                onpointerup={pointer(Phase::Up)} onpointerleave={pointer(Phase::Up)}
                                onkeydown={on_key} />
                            <span class={classes!("pen", keyboard_pen.down.then_some("down"))} aria-hidden="true"
                                style={format!("left: {:.2}%; top: {:.2}%", keyboard_pen.x * 100.0 / f64::from(PAD), keyboard_pen.y * 100.0 / f64::from(PAD))}></span>
                        </div>
                        <p id="pad-help" class="pad-help">{ pen::HELP }</p>
                        <div class="pad-buttons">
                            <button type="button" class="run-drawing" onclick={on_draw_run}>{ "Run on the drawing" }</button>
                            <button type="button" onclick={on_clear}>{ "Clear" }</button>
                        </div>
                    </div>
                }
                <label class="upload">
                    { format!("Or choose an image ({}×{}, {}): ", spec.size[0], spec.size[1], spec.channels) }
                    <input type="file" class="image-file" accept="image/png,image/jpeg" onchange={on_file} />
                </label>
            </div>
        }
    } else {
        html! {
            <form class="inputs numbers" onsubmit={on_numbers_run}>
                <label>
                    { format!("{count} numbers for `{}` (shape {:?}), separated by commas: ", props.input.name, shape) }
                    <input type="text" class="numbers-input" value={(*text).clone()} oninput={on_text}
                        placeholder={vec!["0"; count.min(8)].join(", ")} />
                </label>
                <button type="submit">{ "Run" }</button>
            </form>
        }
    };
    let result = match &*run {
        Run::Idle => html! {},
        Run::Running => html! { <p class="status" role="status">{ "Running…" }</p> },
        Run::Failed(message) => super::error_box("The model did not run", message),
        Run::Done { ranked, outcome } => {
            let run_ms = crate::present::median(&outcome.run_ms).unwrap_or_default();
            let mut cost = vec![format!("run {}", millis(run_ms))];
            if let Some(load) = outcome.load_ms {
                cost.push(format!("load {}", millis(load)));
            }
            if let Some(fetch) = outcome.fetch_ms {
                cost.push(format!("fetch {}", millis(fetch)));
            }
            // Tuned at this first load in this browser, and kept for the next visit.
            if let Some(tuned) = outcome.loaded.as_ref().and_then(|l| l.tuned.as_ref()) {
                cost.push(format!("tuned {}", millis(tuned.spent_ms)));
            }
            html! {
                <div class="result" role="status">
                    { for ranked.first().map(|best| html! {
                        <p class="prediction" data-class={best.index.to_string()}>
                            { "Prediction: " }<strong>{ &best.label }</strong>
                        </p>
                    }) }
                    <ol class="topk">
                        { for ranked.iter().map(|r| {
                            let percent = r.probability * 100.0;
                            html! {
                                <li data-index={r.index.to_string()}>
                                    <span class="label">{ &r.label }</span>
                                    <span class="bar"><span style={format!("width: {percent:.1}%")}></span></span>
                                    <span class="p">{ format!("{percent:.1}%") }</span>
                                </li>
                            }
                        }) }
                    </ol>
                    <p class="latency">{ cost.join(" · ") }</p>
                </div>
            }
        }
    };
    html! {
        <section class="try-it" aria-label="try the model">
            <h2>{ "Try it in your browser" }</h2>
            <p class="note">{ "The model is fetched from this hub, checked against the card's sha256 and run here with WebAssembly; nothing leaves the page." }</p>
            { input_ui }
            { result }
        </section>
    }
}

/// Ranks the outputs of a run, with the labels fetched from the hub.
async fn rank(outcome: Outcome, labels: Option<Asset>, output: Option<&str>) -> Run {
    let names = match labels.and_then(|a| a.asset_link) {
        Some(link) => match fetch_text(&link).await {
            Ok(text) => read_labels(&text),
            Err(message) => return Run::Failed(message),
        },
        None => Vec::new(),
    };
    let chosen = output
        .and_then(|name| outcome.outputs.iter().find(|o| o.name == name))
        .or_else(|| outcome.outputs.iter().rev().find(|o| o.values.len() > 1))
        .or_else(|| outcome.outputs.last());
    let Some(scores) = chosen else {
        return Run::Failed("the model produced no output".to_owned());
    };
    let ranked = top_k(&scores.values, &names, 5);
    Run::Done {
        ranked,
        outcome: Box::new(outcome),
    }
}

#[derive(Clone, Copy)]
enum Phase {
    Down,
    Move,
    Up,
}

fn context(canvas: &NodeRef) -> Option<(HtmlCanvasElement, CanvasRenderingContext2d)> {
    let canvas = canvas.cast::<HtmlCanvasElement>()?;
    let context = canvas
        .get_context("2d")
        .ok()??
        .dyn_into::<CanvasRenderingContext2d>()
        .ok()?;
    Some((canvas, context))
}

fn clear(canvas: &NodeRef) {
    if let Some((_, cx)) = context(canvas) {
        cx.set_fill_style_str("#000");
        cx.fill_rect(0.0, 0.0, f64::from(PAD), f64::from(PAD));
    }
}

/// Sets the pen every stroke is drawn with: white, round, a ninth of the pad wide.
fn pen_style(cx: &CanvasRenderingContext2d) {
    cx.set_stroke_style_str("#fff");
    cx.set_line_width(f64::from(PAD) / 9.0);
    cx.set_line_cap("round");
    cx.set_line_join("round");
}

/// A round dot as wide as the pen, where the keyboard's pen is lowered.
fn dot(canvas: &NodeRef, at: (f64, f64)) {
    if let Some((_, cx)) = context(canvas) {
        cx.set_fill_style_str("#fff");
        cx.begin_path();
        let _ = cx.arc(
            at.0,
            at.1,
            f64::from(PAD) / 18.0,
            0.0,
            std::f64::consts::TAU,
        );
        cx.fill();
    }
}

/// A straight stroke from `from` to `to`, for the keyboard pen.
fn line(canvas: &NodeRef, from: (f64, f64), to: (f64, f64)) {
    if let Some((_, cx)) = context(canvas) {
        pen_style(&cx);
        cx.begin_path();
        cx.move_to(from.0, from.1);
        cx.line_to(to.0, to.1);
        cx.stroke();
    }
}

fn stroke(canvas: &NodeRef, drawing: &Cell<bool>, phase: Phase, e: &PointerEvent) {
    let Some((element, cx)) = context(canvas) else {
        return;
    };
    // The canvas may be displayed larger or smaller than its pixels.
    let scale = f64::from(PAD) / f64::from(element.client_width().max(1));
    let (x, y) = (
        f64::from(e.offset_x()) * scale,
        f64::from(e.offset_y()) * scale,
    );
    match phase {
        Phase::Down => {
            drawing.set(true);
            let _ = element.set_pointer_capture(e.pointer_id());
            cx.begin_path();
            cx.move_to(x, y);
        }
        Phase::Move if drawing.get() => {
            pen_style(&cx);
            cx.line_to(x, y);
            cx.stroke();
        }
        Phase::Move => {}
        Phase::Up => drawing.set(false),
    }
}

/// The drawing as PNG bytes.
fn png_of(canvas: &NodeRef) -> Option<Vec<u8>> {
    let (element, _) = context(canvas)?;
    let url = element.to_data_url().ok()?;
    let encoded = url.split_once(",")?.1;
    let binary = web_sys::window()?.atob(encoded).ok()?;
    // `atob` returns one char per byte.
    Some(
        binary
            .chars()
            .map(|c| u8::try_from(u32::from(c)).unwrap_or(0))
            .collect(),
    )
}
