"""The stylesheet and browser scripts Dash serves: installed as the data package `dashboard.assets`."""
