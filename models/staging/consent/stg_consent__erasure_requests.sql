{{ config(
    unique_key='request_id',
    post_hook="{{ forget_withdrawn_copies(source('consent', 'erasure_requests')) }}",
) }}
with

source as (
    {{ landed_records(source('consent', 'erasure_requests'), 'request_id') }}
),

renamed as (
    select
        record_key as request_id,
        lower(trim({{ json_text('payload', '$.subject_type') }})) as subject_type,
        {{ json_text('payload', '$.subject_id') }} as subject_id,
        {{ normalize_identifier(
            "lower(trim(" ~ json_text('payload', '$.subject_type') ~ "))",
            json_text('payload', '$.subject_id'),
        ) }} as subject_normalized,
        {{ json_text('payload', '$.regulation') }} as regulation,
        {{ json_text('payload', '$.channel') }} as channel,
        {{ json_bool('payload', '$.verified') }} as is_verified,
        {{ to_utc(json_text('payload', '$.received_at')) }} as received_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from source
),

deduplicated as (
    {{ latest_landed_copy('renamed', 'request_id') }}
),

final as (
    select
        request_id,
        subject_type,
        {{ pseudonymize('subject_normalized', 'subject_type') }} as subject_key,
        case
            when subject_type in ('user_id', 'crm_id', 'anonymous_id') then subject_id
        end as subject_id_plain,
        regulation,
        channel,
        is_verified,
        received_at,
        occurred_at,
        _partition_date,
        _loaded_at,
        _source_file,
        _source_line
    from deduplicated
)

select * from final
