{#
    Fails for every group (a conversion) where one of the credit columns does not add up to
    `total`: 1 for shares of a conversion, or a column holding the amount shared out, such as
    the conversion's revenue (the same on every row of the group; a group whose total is NULL is
    not checked). Sums may be off by `tolerance`, for rounding.
#}
{% test credits_sum_to(model, group_by, columns, total=1, tolerance=0.000001) %}
    with

    sums as (
        select
            {{ group_by }} as credited_group,
            max({{ total }}) as expected_total,
            {%- for column in columns %}
            sum({{ column }}) as {{ column }}_total{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ model }}
        group by {{ group_by }}
    )

    select *
    from sums
    where
        expected_total is not null
        and (
            {%- for column in columns %}
            {{ 'or ' if not loop.first }}{{ column }}_total is null
            or abs(cast({{ column }}_total as double) - cast(expected_total as double))
            > {{ tolerance }}
            {%- endfor %}
        )
{% endtest %}

{#- Fails for every row where `column_name` is above `maximum` (or NULL). -#}
{% test value_at_most(model, column_name, maximum) %}
    select *
    from {{ model }}
    where {{ column_name }} is null or {{ column_name }} > {{ maximum }}
{% endtest %}
