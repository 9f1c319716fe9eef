use crate::error::NnError;
use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::backend::Backend;

/// A network that domain adaptation can train: features, class logits, and their sizes.
///
/// DANN needs three things from a model: the features `z = encode(x)` on which the domains are
/// aligned, the class logits `classify(z)`, and the width of `z` ([`latent_dim`](Self::latent_dim))
/// so that a domain discriminator can be attached. Any Burn module can take part by implementing
/// this trait; the reference encoders of this crate are examples.
///
/// The input type is associated, so flat inputs (`Tensor<B, 2>`) and images (`Tensor<B, 4>`)
/// are both served.
///
/// Training mode and evaluation mode follow Burn's convention: on an autodiff backend dropout is
/// active and batch norm uses batch statistics; the module's `valid()` counterpart on the inner
/// backend is the evaluation-mode model.
///
/// # Implementing
///
/// Derive `Module` on the network and implement the four required methods; `forward` comes
/// for free. Trainers call [`latent_dim`](Self::latent_dim) and
/// [`num_classes`](Self::num_classes) to check a discriminator and the labels before the first
/// step, so they must agree with what [`encode`](Self::encode) and
/// [`classify`](Self::classify) return. For the evaluation model to be an encoder too,
/// implement the trait for every backend (`impl<B: Backend> Encoder<B> for MyNet<B>`), as the
/// reference [`ShallowEncoder`](crate::ShallowEncoder) does. [`MlpEncoder`](crate::MlpEncoder)
/// and [`CnnEncoder`](crate::CnnEncoder) are encoders on the backends with
/// [`LoweringBackend`](crate::kernels::LoweringBackend): those this crate's features name
/// (`ndarray`, `flex`, `cuda`, `wgpu`: turn one on) and `Autodiff` over them.
pub trait Encoder<B: Backend>: Module<B> {
    /// What one batch of inputs looks like, for example `Tensor<B, 2>` or `Tensor<B, 4>`.
    type Input: Clone + Send;

    /// The features of a batch.
    ///
    /// # Shapes
    ///
    /// - input: a batch of `N` inputs
    /// - output: `[N, latent_dim]`
    fn encode(&self, input: Self::Input) -> Tensor<B, 2>;

    /// Class logits from features.
    ///
    /// # Shapes
    ///
    /// - z: `[N, latent_dim]`
    /// - output: `[N, num_classes]`
    fn classify(&self, z: Tensor<B, 2>) -> Tensor<B, 2>;

    /// The width of the features returned by [`encode`](Self::encode).
    fn latent_dim(&self) -> usize;

    /// How many classes [`classify`](Self::classify) predicts.
    fn num_classes(&self) -> usize;

    /// The features of a source and a target batch for one training step: the source through
    /// `self`, the target through `fork`, a copy of `self` whose parameters are fresh autodiff
    /// leaves (Burn's [`Module::fork`]), so that each pass records a graph of its own and the
    /// two can be differentiated apart.
    ///
    /// The result, and every side effect (random draws, batch-norm running statistics), must
    /// be those of `(self.encode(source), fork.encode(target))`, in that order: that is the
    /// default. An implementation may run the two passes at once, as
    /// [`CnnEncoder`](crate::CnnEncoder) does on the CPU, when it can keep that promise.
    ///
    /// # Shapes
    ///
    /// - source, target: batches of `N_s` and `N_t` inputs
    /// - output: `([N_s, latent_dim], [N_t, latent_dim])`
    fn encode_pair(
        &self,
        source: Self::Input,
        fork: &Self,
        target: Self::Input,
    ) -> (Tensor<B, 2>, Tensor<B, 2>)
    where
        Self: Sized,
    {
        (self.encode(source), fork.encode(target))
    }

    /// The dimensions of one input, without the batch dimension (`[784]` for flat digits,
    /// `[1, 28, 28]` for images), when the encoder accepts only those; `None` (the default)
    /// when it does not say. The trainer and [`check_input`](Self::check_input) compare
    /// batches with it, so that a batch of the wrong shape is an error before it reaches a
    /// layer (where Burn panics).
    fn input_dims(&self) -> Option<Vec<usize>> {
        None
    }

    /// Checks the dimensions of a batch, the batch dimension first, against
    /// [`input_dims`](Self::input_dims).
    ///
    /// # Errors
    ///
    /// [`NnError::InputShape`] when they differ.
    fn check_input(&self, dims: &[usize]) -> Result<(), NnError> {
        match self.input_dims() {
            Some(expected) if dims.get(1..) != Some(expected.as_slice()) => {
                Err(NnError::InputShape {
                    expected,
                    found: dims.get(1..).unwrap_or_default().to_vec(),
                })
            }
            _ => Ok(()),
        }
    }

    /// [`encode`](Self::encode) after [`check_input`](Self::check_input): a batch of the
    /// wrong shape is a typed error instead of a panic inside a layer.
    ///
    /// # Errors
    ///
    /// [`NnError::InputShape`].
    fn try_encode<const D: usize>(&self, input: Tensor<B, D>) -> Result<Tensor<B, 2>, NnError>
    where
        Self: Encoder<B, Input = Tensor<B, D>>,
    {
        self.check_input(&input.dims())?;
        Ok(self.encode(input))
    }

    /// [`forward`](Self::forward) after [`check_input`](Self::check_input).
    ///
    /// # Errors
    ///
    /// [`NnError::InputShape`].
    fn try_forward<const D: usize>(&self, input: Tensor<B, D>) -> Result<Tensor<B, 2>, NnError>
    where
        Self: Encoder<B, Input = Tensor<B, D>>,
    {
        self.check_input(&input.dims())?;
        Ok(self.forward(input))
    }

    /// Class logits of a batch: `classify(encode(input))`.
    ///
    /// # Shapes
    ///
    /// - input: a batch of `N` inputs
    /// - output: `[N, num_classes]`
    fn forward(&self, input: Self::Input) -> Tensor<B, 2> {
        self.classify(self.encode(input))
    }
}

/// The methods of [`Encoder`] that ShiftKit's reference encoders share, for their `impl`
/// blocks: `classify` is the linear layer in the field `classifier`, and the sizes are the
/// fields `latent_dim` and `num_classes`.
macro_rules! linear_head {
    () => {
        /// Class logits from features: a single linear map.
        ///
        /// # Shapes
        ///
        /// - z: `[N, latent_dim]`
        /// - output: `[N, num_classes]`
        fn classify(&self, z: Tensor<B, 2>) -> Tensor<B, 2> {
            self.classifier.forward(z)
        }

        fn latent_dim(&self) -> usize {
            self.latent_dim
        }

        fn num_classes(&self) -> usize {
            self.num_classes
        }
    };
}
pub(crate) use linear_head;
