"""Random image augmentation layers: RandomFlip, RandomRotation, RandomCrop and the like.

They have no weights and transform images only when training; at inference (what a model's
summary and predictions describe) they pass the images through unchanged. Only RandomCrop
changes the symbolic shape: Keras declares the cropped height and width, although at inference
it returns its input as it is.
"""

from archlint.dims import from_data
from archlint.layers.base import Layer, data_format_arg, int_arg, register


class _RandomAugmentation(Layer):
    weightless = True
    named_sizes = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_arg(data_format)

    def compute_output_shape(self, input_shape, **kwargs):
        return input_shape

    def forward(self, x, **kwargs):
        return x


# The transform's options (factors, fill mode, interpolation, seed) only matter when training.

@register
class RandomFlip(_RandomAugmentation):
    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)


@register
class RandomRotation(_RandomAugmentation):
    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)


@register
class RandomZoom(_RandomAugmentation):
    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)


@register
class RandomTranslation(_RandomAugmentation):
    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)


@register
class RandomContrast(_RandomAugmentation):
    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)


@register
class RandomBrightness(_RandomAugmentation):
    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(**kwargs)


@register
class RandomCrop(_RandomAugmentation):
    size_arguments = ("height", "width")

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height if from_data(height) else int_arg(height, "height")
        self.width = width if from_data(width) else int_arg(width, "width")

    def compute_output_shape(self, input_shape, **kwargs):
        # Height and width sit just before the channels (channels_last) or are the last two axes.
        height_axis = len(input_shape) - (3 if self.data_format == "channels_last" else 2)
        out = list(input_shape)
        out[height_axis:height_axis + 2] = [self.height, self.width]
        return tuple(out)

    def forward(self, x, **kwargs):
        raise NotImplementedError("at inference Keras's RandomCrop returns its input uncropped, "
                                  "not the shape it declares")
