"""The default model, installed inside the library as `boilerline.default_model`."""
