//! Channels bounded in bytes as well as in count, for queues whose items a peer sizes (frames
//! from a stream, rows built from them): a sender waits while the items in the channel weigh
//! more than the budget, so a flood of large items cannot fill the memory.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

/// What an item costs in memory, roughly: its heap bytes plus its size.
pub trait Weigh {
    fn weight(&self) -> usize;
}

/// A channel holding at most `count` items and about `bytes` of them: an item heavier than
/// the whole budget still passes, alone.
pub fn channel<T: Weigh>(count: usize, bytes: usize) -> (Sender<T>, Receiver<T>) {
    let (tx, rx) = mpsc::channel(count.max(1));
    // The semaphore takes at most `u32::MAX` permits at once, and a bounded number in all.
    let bytes = bytes.clamp(1, u32::MAX as usize);
    let budget = Arc::new(Semaphore::new(bytes));
    (
        Sender {
            inner: tx,
            budget: Arc::clone(&budget),
            bytes,
        },
        Receiver {
            inner: rx,
            budget,
            bytes,
            scratch: Vec::new(),
        },
    )
}

pub struct Sender<T> {
    inner: mpsc::Sender<(T, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    bytes: usize,
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        Sender {
            inner: self.inner.clone(),
            budget: Arc::clone(&self.budget),
            bytes: self.bytes,
        }
    }
}

impl<T: Weigh> Sender<T> {
    /// Sends `item` once the channel has room for it; gives it back when the receiver is gone.
    pub async fn send(&self, item: T) -> Result<(), T> {
        // Within the budget by construction, and so within u32.
        let permits = item.weight().clamp(1, self.bytes) as u32;
        let permit = match Arc::clone(&self.budget).acquire_many_owned(permits).await {
            Ok(permit) => permit,
            Err(_) => return Err(item),
        };
        self.inner
            .send((item, permit))
            .await
            .map_err(|mpsc::error::SendError((item, _))| item)
    }

    /// [`Sender::send`] from a thread outside the async runtime (`spawn_blocking`).
    pub fn blocking_send(&self, item: T) -> Result<(), T> {
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => runtime.block_on(self.send(item)),
            Err(_) => Err(item),
        }
    }

    /// True once the receiver is gone.
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

pub struct Receiver<T> {
    inner: mpsc::Receiver<(T, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    bytes: usize,
    scratch: Vec<(T, OwnedSemaphorePermit)>,
}

impl<T> Receiver<T> {
    /// The next item; `None` once every sender is gone and the channel is empty. Its bytes
    /// leave the budget as it is received.
    pub async fn recv(&mut self) -> Option<T> {
        self.inner.recv().await.map(|(item, _permit)| item)
    }

    /// Appends up to `limit` items to `buffer`, waiting for at least one; 0 once every sender
    /// is gone and the channel is empty. Cancel-safe, like `mpsc::Receiver::recv_many`.
    pub async fn recv_many(&mut self, buffer: &mut Vec<T>, limit: usize) -> usize {
        let received = self.inner.recv_many(&mut self.scratch, limit).await;
        buffer.extend(self.scratch.drain(..).map(|(item, _permit)| item));
        received
    }

    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Bytes the items in the channel hold, by their weight (and, while a sender waits, the
    /// room set aside for it).
    pub fn held_bytes(&self) -> usize {
        self.bytes.saturating_sub(self.budget.available_permits())
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        // Senders waiting for room would otherwise wait forever.
        self.budget.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Blob(usize);

    impl Weigh for Blob {
        fn weight(&self) -> usize {
            self.0
        }
    }

    #[tokio::test]
    async fn a_sender_waits_while_the_bytes_are_over_the_budget() {
        let (tx, mut rx) = channel::<Blob>(1000, 100);
        tx.send(Blob(60)).await.ok().unwrap();
        assert_eq!(rx.held_bytes(), 60);
        let second = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(Blob(60)).await.is_ok() }
        });
        tokio::task::yield_now().await;
        assert!(!second.is_finished(), "the second waits for room");
        assert_eq!(rx.recv().await.map(|b| b.0), Some(60));
        assert!(second.await.unwrap(), "sent once the first left");
        assert_eq!(rx.held_bytes(), 60);
        // Heavier than the whole budget: passes alone.
        let mut got = Vec::new();
        assert_eq!(rx.recv_many(&mut got, 10).await, 1);
        tx.send(Blob(1_000_000)).await.ok().unwrap();
        assert_eq!(rx.held_bytes(), 100);
        assert_eq!(rx.recv().await.map(|b| b.0), Some(1_000_000));
    }

    #[tokio::test]
    async fn a_waiting_sender_gets_its_item_back_when_the_receiver_goes() {
        let (tx, rx) = channel::<Blob>(10, 10);
        tx.send(Blob(10)).await.ok().unwrap();
        let waiting = tokio::spawn(async move { tx.send(Blob(5)).await.err().map(|b| b.0) });
        tokio::task::yield_now().await;
        drop(rx);
        assert_eq!(waiting.await.unwrap(), Some(5));
    }

    #[test]
    fn blocking_send_works_on_a_blocking_thread() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let (tx, mut rx) = channel::<Blob>(10, 10);
        runtime.block_on(async {
            let sent = tokio::task::spawn_blocking(move || tx.blocking_send(Blob(3)).is_ok());
            assert!(sent.await.unwrap());
            assert_eq!(rx.recv().await.map(|b| b.0), Some(3));
        });
    }
}
