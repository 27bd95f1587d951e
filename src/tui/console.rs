//! What the event loop needs of the terminal besides drawing into it and reading its input
//! channel: the clipboard, handing the screen to `$EDITOR`, and a look at each drawn frame.
//! [`Tty`] is the real terminal (crossterm's `EventStream` pumped into the channel); tests
//! put their own [`Console`] behind the same seam and drive the loop with `TestBackend`.

use std::future::Future;
use std::io::Write;

use base64::Engine as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::buffer::Buffer;
use tokio::io::AsyncWriteExt;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Input events waiting for the loop. The keyboard is the only producer and the loop drains
/// every turn, so this bounds a paste burst, not normal typing.
pub const INPUT_QUEUE: usize = 256;

/// What the loop reads: terminal events, or the error that ends the viewer. The loop also
/// ends (cleanly) when every sender is gone.
pub type Input = std::io::Result<Event>;

/// The loop's side of the terminal beyond `Terminal::draw` and the input channel.
pub trait Console {
    /// Copies `text` to the user's clipboard.
    fn copy(&mut self, text: &str);

    /// Hands `text` to the user's editor, the screen and keyboard going with it, and returns
    /// the edited text or why there is none. The terminal must be fully redrawn after.
    fn edit<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        text: &str,
    ) -> impl Future<Output = Result<String, String>>;

    /// Sees each frame just drawn.
    fn drawn(&mut self, _frame: &Buffer) {}
}

/// The real terminal: keys come from crossterm's `EventStream`, read by a task of its own.
pub struct Tty {
    pump: Option<Pump>,
}

/// The task reading the keyboard, and how to stop it.
struct Pump {
    stop: oneshot::Sender<()>,
    /// Gives the sender back when stopped; `None` once the input ended.
    task: JoinHandle<Option<mpsc::Sender<Input>>>,
}

impl Pump {
    fn start(input: mpsc::Sender<Input>) -> Pump {
        let (stop, stopped) = oneshot::channel();
        Pump {
            stop,
            task: tokio::spawn(pump(input, stopped)),
        }
    }

    /// Stops reading (dropping the `EventStream`) and gives the sender back.
    async fn stop(self) -> Option<mpsc::Sender<Input>> {
        let _ = self.stop.send(());
        self.task.await.ok().flatten()
    }
}

impl Tty {
    /// Starts reading the keyboard; the receiver is the loop's input.
    pub fn start() -> (Tty, mpsc::Receiver<Input>) {
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        let tty = Tty {
            pump: Some(Pump::start(tx)),
        };
        (tty, rx)
    }

    /// Stops reading the keyboard, so that nothing reads it once the terminal is restored.
    pub async fn stop(&mut self) {
        if let Some(pump) = self.pump.take() {
            pump.stop().await;
        }
    }
}

/// Forwards terminal events until told to stop (then returns the sender) or until the events
/// or the loop are gone.
async fn pump(
    input: mpsc::Sender<Input>,
    mut stop: oneshot::Receiver<()>,
) -> Option<mpsc::Sender<Input>> {
    let mut events = EventStream::new();
    loop {
        // Room first, then an event: a stop never waits behind a full queue, and with this
        // task the only sender the room is still there when the event comes.
        let stopped = tokio::select! {
            _ = &mut stop => true,
            room = input.reserve() => {
                room.ok()?;
                false
            }
        };
        if stopped {
            return Some(input);
        }
        let event = tokio::select! {
            _ = &mut stop => return Some(input),
            event = events.next() => event?,
        };
        if input.try_send(event).is_err() {
            return None;
        }
    }
}

impl Console for Tty {
    fn copy(&mut self, text: &str) {
        copy_osc52(text);
    }

    async fn edit<B: Backend>(
        &mut self,
        terminal: &mut Terminal<B>,
        text: &str,
    ) -> Result<String, String> {
        // The editor owns the terminal meanwhile: stop reading keys (crossterm's reader would
        // steal them), hand the screen over, and take both back after.
        let input = match self.pump.take() {
            Some(pump) => pump.stop().await,
            None => None,
        };
        let result = edit_in_editor(terminal, text).await;
        self.pump = input.map(Pump::start);
        result
    }
}

/// Hands `text` to `$VISUAL` / `$EDITOR` (else `vi`) in a temporary file, with the terminal
/// given back to normal mode meanwhile; returns the file's text after, or why there is none.
async fn edit_in_editor<B: Backend>(
    terminal: &mut Terminal<B>,
    text: &str,
) -> Result<String, String> {
    use crossterm::terminal::{
        EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
    };
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi").to_string();
    let args: Vec<String> = words.map(str::to_string).collect();
    // A fresh name, created only if absent: nobody can plant a link there first.
    let path = std::env::temp_dir().join(format!("eventscope-edit-{}.json", uuid::Uuid::new_v4()));
    let written = async {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await?;
        file.write_all(text.as_bytes()).await?;
        file.flush().await
    };
    if let Err(e) = written.await {
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    let mut stdout = std::io::stdout();
    let _ = crossterm::execute!(stdout, DisableMouseCapture, LeaveAlternateScreen);
    let _ = disable_raw_mode();
    let _ = crossterm::execute!(stdout, crossterm::cursor::Show);
    let status = tokio::process::Command::new(&program)
        .args(&args)
        .arg(&path)
        .status()
        .await;
    let _ = enable_raw_mode();
    let _ = crossterm::execute!(
        stdout,
        EnterAlternateScreen,
        EnableMouseCapture,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    );
    // The screen is blank now: forget the last frame so the next draw paints everything.
    // (`Terminal::clear` would do it too, but asks the terminal where the cursor is first,
    // and waits for an answer some terminals never give.)
    terminal.swap_buffers();
    let result = match status {
        Ok(status) if status.success() => tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| format!("cannot read the edit back from {}: {e}", path.display())),
        Ok(status) => Err(format!(
            "edit cancelled: `{editor}` exited with {status}; nothing changed"
        )),
        Err(e) => Err(format!(
            "cannot run the editor `{editor}`: {e} (set $EDITOR); nothing changed"
        )),
    };
    let _ = tokio::fs::remove_file(&path).await;
    result
}

/// Copies through the terminal (OSC 52), which works over SSH too.
fn copy_osc52(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "\x1b]52;c;{encoded}\x07");
    let _ = stdout.flush();
}
